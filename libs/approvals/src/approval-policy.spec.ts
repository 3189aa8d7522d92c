import { defaultPolicyText, PolicyEngine, type PolicyRequest } from '@baton/policy';

// The examples of docs/policy.md ("Approval decisions"): they must validate against the schema
// and see the attributes and context the approvals service gives Cedar.
const EXAMPLES = `
@id("acme-release-only")
forbid (principal, action == Baton::Action::"approval.decide", resource is Baton::Approval)
when { resource.owner == "acme" && !(principal in Baton::Group::"release") };

@id("never-self-approve")
forbid (principal, action == Baton::Action::"approval.decide", resource is Baton::Approval)
when { context has decision && context.decision == "approve" && context has caller &&
       resource has submittedBy && context.caller == resource.submittedBy };

@id("approver-groups")
forbid (principal, action == Baton::Action::"approval.decide", resource is Baton::Approval)
when { resource has approverGroups && !resource.approverGroups.isEmpty() && !(principal in resource.approverGroups) };
`;

function request(groups: string[], decision: string, caller: string, owner = 'acme'): PolicyRequest {
  return {
    principal: { type: 'Person', id: 'alice', name: 'Alice', role: 'operator', groups },
    action: 'approval.decide',
    resource: {
      type: 'Approval',
      id: 'a-1',
      attrs: {
        owner, kind: 'checkpoint', approverGroups: [{ __entity: { type: 'Baton::Group', id: 'release' } }], approverUsers: [],
        selfApproval: true, minApprovals: 2, submittedBy: 'person:sam',
      },
    },
    context: { decision, caller, callerNames: ['alice', 'alice@example.com'] },
  };
}

describe('approval decisions in Cedar', () => {
  const engine = new PolicyEngine();
  engine.load('examples', `${defaultPolicyText()}\n${EXAMPLES}`);

  it('lets an operator in the approvers group decide', () => {
    expect(engine.decide(request(['release'], 'approve', 'person:alice'))).toMatchObject({ allowed: true, errors: [] });
  });

  it('denies outside the group, naming the policies', () => {
    const decision = engine.decide(request(['qa'], 'approve', 'person:alice'));
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toEqual(expect.arrayContaining(['acme-release-only', 'approver-groups']));
  });

  it('denies approving one\'s own run but not rejecting it', () => {
    expect(engine.decide(request(['release'], 'approve', 'person:sam')).reasons).toEqual(['never-self-approve']);
    expect(engine.decide(request(['release'], 'reject', 'person:sam')).allowed).toBe(true);
  });

  it('decides approvals by the default set as before: operators yes, viewers no', () => {
    const plain = new PolicyEngine();
    plain.load('default', defaultPolicyText());
    expect(plain.decide(request(['qa'], 'approve', 'person:alice', 'globex')).allowed).toBe(true);
    const viewer = request([], 'approve', 'person:v');
    viewer.principal.role = 'viewer';
    expect(plain.decide(viewer).allowed).toBe(false);
  });
});
