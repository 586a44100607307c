DROP TABLE red_flag_states;
DROP TABLE red_flag_sweeps;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
DROP TABLE events;
DROP TABLE event_counters;
