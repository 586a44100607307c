DROP TABLE sourcing_policies;
DROP TABLE purchase_origins;
DROP TABLE purchases;
