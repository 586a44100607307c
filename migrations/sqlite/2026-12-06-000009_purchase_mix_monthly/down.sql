DROP TABLE purchase_mix_monthly;
