/** Docs pages read as text by the tests that hold them to the code (vite's `?raw` import). */
declare module "*.md?raw" {
  const text: string;
  export default text;
}
