-- Default plans. Limits per fixed UTC window; NULL would mean unlimited.
-- Minute limits allow short bursts; month limits sit a little under 30 × the daily limit.
INSERT INTO `plans` (`id`, `code`, `name`, `limit_minute`, `limit_hour`, `limit_day`, `limit_month`, `sort_order`) VALUES
  ('pln_free', 'free', 'Free', 20, 100, 1000, 20000, 0),
  ('pln_basic', 'basic', 'Basic', 60, 500, 5000, 100000, 1),
  ('pln_pro', 'pro', 'Pro', 200, 2000, 20000, 400000, 2),
  ('pln_enterprise', 'enterprise', 'Enterprise', 1000, 10000, 100000, 2000000, 3)
ON CONFLICT (`code`) DO NOTHING;
