import { Layout } from "./layout.tsx";

/** What an id that names nothing (or nothing yet) gets: the reason, and the search box to try another. */
export function MessagePage({ title, message, searched }: { title: string; message: string; searched?: string }) {
  return (
    <Layout title={title} searched={searched}>
      <h1>{title}</h1>
      <p class="subtitle">{message}</p>
    </Layout>
  );
}
