"""Promotion between stacks (dev → staging → prod): releases (the content-addressed
Gateway API snapshot a stack applied), their store and history, gates, the rewrite of
environment-specific values, verification after an apply, holds, freezes, approvals and
rollback.  Sits beside ``watch`` above ``engine``: may import engine, program, contract,
translate, sources and vocabulary; never watch, deploy, adopt or inspect."""
