"""The sync engine: pull ERP → CRM, push CRM → ERP, the three-way field merge, watermarks, retries."""
