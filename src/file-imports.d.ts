declare module "*.so.1" { const path: string; export default path; }
declare module "*.yaml" { const text: string; export default text; }
