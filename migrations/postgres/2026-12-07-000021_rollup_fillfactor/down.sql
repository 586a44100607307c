ALTER TABLE purchase_mix_daily RESET (fillfactor);
ALTER TABLE purchase_mix_monthly RESET (fillfactor);
