import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ContactDirectory, customerKeyOf, type ContactLookup } from "./contacts.js";
import { MemoryContactStore } from "./stores.fixtures.js";

const ctx = { priority: 0, deadline: Number.MAX_SAFE_INTEGER };
const ada = { customerId: "T2M_USER_1", name: "Ada Obi", email: "ada@example.ng", phone: "0801" };

function fakeZoho(existing: Record<string, string> = {}) {
  const calls: string[] = [];
  let next = 100;
  const zoho: ContactLookup = {
    findContactByEmail: async (email) => {
      calls.push(`find:${email}`);
      const id = existing[email];
      return id ? { contactId: id } : undefined;
    },
    createContact: async (contact) => {
      calls.push(`create:${contact.email}:${contact.notes}`);
      return { contactId: String(++next) };
    },
  };
  return { zoho, calls };
}

describe("ContactDirectory", () => {
  it("looks a customer up once, then answers from memory; a new process answers from the store", async () => {
    const store = new MemoryContactStore();
    const { zoho, calls } = fakeZoho({ "ada@example.ng": "42" });
    const directory = new ContactDirectory({ store, zoho, logger: pino({ level: "silent" }) });
    expect(await directory.resolve(ada, ctx)).toBe("42");
    expect(await directory.resolve(ada, ctx)).toBe("42");
    expect(calls).toEqual(["find:ada@example.ng"]);
    expect(store.records.get("T2M_USER_1")).toMatchObject({ zohoContactId: "42", email: "ada@example.ng" });

    const restarted = new ContactDirectory({ store, zoho, logger: pino({ level: "silent" }) });
    expect(await restarted.resolve(ada, ctx)).toBe("42");
    expect(calls).toEqual(["find:ada@example.ng"]);
  });

  it("makes a contact for a new customer, once for concurrent orders, noting the T2Mobile id", async () => {
    const { zoho, calls } = fakeZoho();
    const directory = new ContactDirectory({ store: new MemoryContactStore(), zoho, logger: pino({ level: "silent" }) });
    const ids = await Promise.all([directory.resolve(ada, ctx), directory.resolve(ada, ctx)]);
    expect(ids).toEqual(["101", "101"]);
    expect(calls).toEqual(["find:ada@example.ng", "create:ada@example.ng:T2Mobile customer T2M_USER_1"]);
  });

  it("forgets a contact Zoho no longer has, so the next resolve asks Zoho again", async () => {
    const store = new MemoryContactStore();
    const { zoho, calls } = fakeZoho({ "ada@example.ng": "42" });
    const directory = new ContactDirectory({ store, zoho, logger: pino({ level: "silent" }) });
    await directory.resolve(ada, ctx);
    await directory.forget(ada, "42");
    expect(store.records.size).toBe(0);
    await directory.resolve(ada, ctx);
    expect(calls).toEqual(["find:ada@example.ng", "find:ada@example.ng"]);
  });

  it("keeps what another replica stored first", async () => {
    const store = new MemoryContactStore();
    await store.insertOrGet({ customerKey: "T2M_USER_1", zohoContactId: "7", email: "ada@example.ng", createdAt: new Date() });
    const slowStore = { ...store, find: async () => undefined, insertOrGet: store.insertOrGet.bind(store), forget: store.forget.bind(store) };
    const { zoho } = fakeZoho();
    const directory = new ContactDirectory({ store: slowStore, zoho, logger: pino({ level: "silent" }) });
    expect(await directory.resolve(ada, ctx)).toBe("7");
  });

  it("keys a customer without an id by email", () => {
    expect(customerKeyOf({ ...ada, customerId: " " , email: "ADA@example.ng " })).toBe("email:ada@example.ng");
    expect(customerKeyOf(ada)).toBe("T2M_USER_1");
  });
});
