import { useTitle } from '../hooks.ts';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href="/alerts">Go to the alert queue</a>
      </p>
    </section>
  );
}
