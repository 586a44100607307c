DROP TABLE purchase_mix_daily;
