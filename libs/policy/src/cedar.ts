// The one place that imports Cedar. The `nodejs` build loads its WebAssembly synchronously
// from disk, so evaluation needs no async start-up.
export {
  checkParsePolicySet,
  checkParseSchema,
  policySetTextToParts,
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
  validate,
  type DetailedError,
  type EntityJson,
} from '@cedar-policy/cedar-wasm/nodejs';
