import { DurableObject } from "cloudflare:workers";
export class Registry extends DurableObject<Env> {
  ping(): number { return this.ctx.storage.sql.exec("select 1 as x").one().x as number; }
}
