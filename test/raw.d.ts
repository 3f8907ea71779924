// Vite's `?raw` imports: a file's text, bundled into the test (README.md for the routes check).
declare module "*?raw" {
  const text: string;
  export default text;
}
