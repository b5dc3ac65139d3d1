/**
 * Registry RPCs made by this isolate: counted by the registry client
 * (src/clients/registry.ts) and added to `mesh_registry_rpc_total` by the
 * recorder's next flush.
 */
export const registryCalls = { count: 0 };
