"""The built-in CRM core: companies, persons, projects, lists, users and groups, the CRM field
catalogue and the change journal.

Every read and write of CRM records goes through ``crm.store``. This package imports nothing else
of erpsync.
"""
