// The registry in force (version hash, load time, agents), every version loaded before, and validation of a
// pasted candidate (POST /v1/registry/validate: nothing is loaded).
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { agentPath, when } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import { useCan } from '../session.ts';
import type { Registry, RegistryVersion, ValidationResult } from '../types.ts';

export function RegistryPage() {
  useTitle('Registry');
  const current = useLoad((signal) => api<{ version: RegistryVersion; registry: Registry }>('/v1/registry', { signal }), []);
  const versions = useLoad((signal) => api<{ versions: RegistryVersion[] }>('/v1/registry/versions', { signal }), []);
  const canValidate = useCan('validateRegistry');
  return (
    <section aria-labelledby="reg-title">
      <h1 id="reg-title">Registry</h1>
      {current.error && (
        <p role="alert" class="error">
          {current.error}
        </p>
      )}
      {current.data && (
        <>
          <dl class="facts" data-testid="registry-version">
            <div>
              <dt>Version (SHA-256)</dt>
              <dd>
                <code>{current.data.version.sha256.slice(0, 16)}</code>
              </dd>
            </div>
            <div>
              <dt>Loaded</dt>
              <dd>{when(current.data.version.loaded_at)}</dd>
            </div>
            <div>
              <dt>Agents</dt>
              <dd>{current.data.version.agent_count}</dd>
            </div>
            <div>
              <dt>Source</dt>
              <dd>{current.data.version.source}</dd>
            </div>
          </dl>
          <h2>Agents in force</h2>
          <table aria-label="Registered agents">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Owner</th>
                <th scope="col">Status</th>
                <th scope="col">Tools</th>
              </tr>
            </thead>
            <tbody>
              {current.data.registry.agents.map((a) => (
                <tr key={a.id}>
                  <td>
                    <a href={agentPath(a.id)}>{a.name}</a>
                    <div class="sub">{a.id}</div>
                  </td>
                  <td>{a.owner}</td>
                  <td>{a.status}</td>
                  <td>{a.scope.tools?.join(', ') ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>Versions loaded</h2>
      {versions.error && (
        <p role="alert" class="error">
          {versions.error}
        </p>
      )}
      {versions.data && (
        <table aria-label="Registry versions" data-testid="registry-versions">
          <thead>
            <tr>
              <th scope="col">Loaded</th>
              <th scope="col">SHA-256</th>
              <th scope="col">Agents</th>
              <th scope="col">Source</th>
            </tr>
          </thead>
          <tbody>
            {versions.data.versions.map((v) => (
              <tr key={`${v.sha256}-${v.loaded_at}`}>
                <td>{when(v.loaded_at)}</td>
                <td>
                  <code>{v.sha256.slice(0, 16)}</code>
                </td>
                <td>{v.agent_count}</td>
                <td>{v.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canValidate && <ValidateForm />}
    </section>
  );
}

function ValidateForm() {
  const [text, setText] = useState('');
  const [result, setResult] = useState<ValidationResult | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    setResult(null);
    const body = text.trim();
    if (!body) return setProblem('Paste a registry document first.');
    try {
      const json = body.startsWith('{');
      setResult(await api<ValidationResult>('/v1/registry/validate', { method: 'POST', body, contentType: json ? 'application/json' : 'application/yaml' }));
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  return (
    <section aria-labelledby="h-validate">
      <h2 id="h-validate">Validate a candidate registry</h2>
      <form onSubmit={submit}>
        <label for="candidate">Registry document (YAML or JSON); nothing is loaded</label>
        <textarea id="candidate" rows={12} class="code" value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        <button type="submit">Validate</button>
      </form>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      {result && (
        <div role="status" data-testid="validation-result">
          {result.valid ? (
            <p class="ok">Valid: {result.agent_count} agents.</p>
          ) : (
            <>
              <p class="error">
                Not valid: {result.errors.length} problem{result.errors.length === 1 ? '' : 's'}.
              </p>
              <ul>
                {result.errors.map((e, i) => (
                  <li key={`${e.path}-${i}`}>
                    <code>{e.path || '(document)'}</code>: {e.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  );
}
