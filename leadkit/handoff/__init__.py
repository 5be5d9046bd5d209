"""The sales handoff: from CRM-ready to sales-ready (SPEC "Sales handoff").

One reviewed rules file, shared by every mapping, says what happens after the import is
clean: who must never be contacted (`suppress`), who owns a lead (`routing`), what an
update may change (`update`), the agreed lead definition (`qualify`) and the follow-up
promise (`sla`). Modules:

- `rules`: the rules file's models, loading with located errors, the JSON Schema;
- `suppress`: never-contact lists, canonicalized and joined against the leads;
- `qualify`: the agreed lead definition: `_status`, `_qualify`, `_score`, job level and
  function, and `never_backwards` for updates;
- `campaign`: campaign member status, notes templates, member files per target, dated
  engagement notes;
- `sla`: `_captured_at` and `_due_at` in business hours and a time zone.
"""
