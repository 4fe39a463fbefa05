declare module "*.so.1" { const path: string; export default path; }
