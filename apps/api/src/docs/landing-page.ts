/**
 * The page at `GET /`: what this server is and where to go next. Plain HTML with no script
 * and no outside assets, so it works on an air-gapped machine and under a strict CSP.
 */
const LINKS: Array<[href: string, label: string, what: string]> = [
  ['/api/docs', 'API reference', 'every REST route, to read and try (OpenAPI; the document itself at /api/docs/openapi.json)'],
  ['/dashboard', 'Dashboard', 'runs, steps and approvals in the browser'],
  ['/health', 'Health', 'liveness: 200 while the process serves requests'],
  ['/ready', 'Readiness', 'the database is reachable and migrated'],
  ['/metrics', 'Metrics', 'Prometheus text format'],
  ['/.well-known/agent-card.json', 'A2A agent card', 'for orchestrator agents; JSON-RPC at POST /a2a (A2A v1.0 and v0.3)'],
];

export function landingPage(version: string): string {
  const items = LINKS.map(([href, label, what]) => `    <li><a href="${href}">${label}</a> <code>${href}</code>: ${what}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Baton</title>
  <style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#222}code{font-size:.9em;color:#555}li{margin:.4rem 0}</style>
</head>
<body>
  <h1>Baton <small>${version}</small></h1>
  <p>An orchestration hub for multi-agent work: hand it a saved definition or an inline plan and it runs the steps on the right agents, with retries, caching, human checkpoints and live progress.</p>
  <ul>
${items}
  </ul>
  <p>REST API under <code>/api/v1</code>. When API tokens exist, send <code>Authorization: Bearer &lt;token&gt;</code>; this page, the API reference, the probes and the agent card are public.</p>
</body>
</html>
`;
}
