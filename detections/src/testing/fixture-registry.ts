/**
 * The registry every rule fixture runs against unless it brings its own: a small fleet covering each
 * registry feature (restricted and unrestricted scopes, lifecycle states, delegation, approvals).
 */
export const FIXTURE_REGISTRY = `
people:
  - { id: alice@corp.example, status: active }
  - { id: bob@corp.example, status: departed }
  - { id: carol@corp.example, status: active }
agents:
  - id: spiffe://corp.example/agents/invoice-bot
    name: Invoice reconciliation bot
    owner: alice@corp.example
    status: active
    purpose: Match supplier invoices against purchase orders
    registered_at: 2026-01-10
    last_reviewed: 2026-10-01
    scope:
      tools: ["erp.invoice.read", "erp.po.*"]
      resources: ["erp://invoices/**", "erp://po/**"]
      actions: [read, write]
      token_scopes: ["erp.read", "erp.write"]
      environments: [prod]
      max_token_ttl: 1h
  - id: spiffe://corp.example/agents/payments-bot
    name: Supplier payments bot
    owner: alice@corp.example
    status: active
    purpose: Pay approved supplier invoices
    registered_at: 2026-02-01
    last_reviewed: 2026-10-15
    scope:
      tools: ["payments.*", "erp.invoice.read"]
      actions: [read, transfer]
      max_token_ttl: 15m
    high_consequence_tools: ["payments.transfer"]
  - id: spiffe://corp.example/agents/planner
    name: Research planner
    owner: carol@corp.example
    status: active
    purpose: Plans research tasks and hands them to workers
    registered_at: 2026-03-01
    last_reviewed: 2026-09-20
    scope:
      token_scopes: ["research.*", "docs.read"]
    delegation:
      may_delegate_to: ["spiffe://corp.example/agents/research"]
      max_depth: 3
  - id: spiffe://corp.example/agents/research
    name: Research worker
    owner: carol@corp.example
    status: active
    purpose: Reads documents and the web for the planner
    registered_at: 2026-03-01
    last_reviewed: 2026-09-20
    scope:
      tools: ["docs.*", "web.fetch"]
      token_scopes: ["research.read", "docs.read"]
    delegation:
      may_delegate_to: ["spiffe://corp.example/agents/ocr"]
      max_depth: 2
  - id: spiffe://corp.example/agents/ocr
    name: OCR worker
    owner: carol@corp.example
    status: active
    purpose: Extracts text from scanned documents
    registered_at: 2026-03-01
    last_reviewed: 2026-09-20
  - id: spiffe://corp.example/agents/legacy-sync
    name: Legacy CRM sync
    owner: alice@corp.example
    status: retired
    purpose: Synced the old CRM; replaced in 2026
    registered_at: 2025-01-10
    last_reviewed: 2026-09-01
  - id: spiffe://corp.example/agents/quarantined
    name: Quarantined helper
    owner: alice@corp.example
    status: suspended
    purpose: Suspended pending investigation
    registered_at: 2026-01-10
    last_reviewed: 2026-10-01
  - id: spiffe://corp.example/agents/report-bot
    name: Weekly report bot
    owner: bob@corp.example
    status: active
    purpose: Builds the weekly finance report
    registered_at: 2026-01-10
    last_reviewed: 2026-10-01
  - id: spiffe://corp.example/agents/stale-bot
    name: Rarely reviewed bot
    owner: alice@corp.example
    status: active
    purpose: Housekeeping
    registered_at: 2025-06-01
`;
