// The one place that imports Cedar. The `nodejs` build loads its WebAssembly synchronously
// from disk, so evaluation needs no async start-up. Hot Cedar calls crash Node 20's V8 when
// it inlines them (see avoidWasmCallInliningCrash), so loading Cedar turns that off.
import { avoidWasmCallInliningCrash } from '@baton/common';

avoidWasmCallInliningCrash();

export {
  checkParsePolicySet,
  checkParseSchema,
  policySetTextToParts,
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
  validate,
  type CedarValueJson,
  type DetailedError,
  type EntityJson,
} from '@cedar-policy/cedar-wasm/nodejs';
