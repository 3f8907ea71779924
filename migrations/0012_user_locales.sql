-- A user's locale is now one of the languages the API answers in (src/i18n LOCALES), not any
-- BCP 47 tag: keep the language of the ones we have ("es-MX" -> "es"), clear the rest.
UPDATE `users` SET `locale` = CASE
  WHEN lower(`locale`) = 'en' OR lower(`locale`) LIKE 'en-%' THEN 'en'
  WHEN lower(`locale`) = 'es' OR lower(`locale`) LIKE 'es-%' THEN 'es'
  ELSE NULL
END WHERE `locale` IS NOT NULL;
