import type { Messages } from "../messages";

// Spanish (neutral, formal "usted"). The same keys as en.ts, plus the problem titles
// (`problems.<code>.title`, English in src/lib/errors.ts).
export const es = {
  problems: {
    invalid_request: {
      title: "La solicitud no es válida",
      json: "El cuerpo de la solicitud no es válido",
      query: "Los parámetros de consulta no son válidos",
      param: "Los parámetros de la ruta no son válidos",
      header: "Los encabezados de la solicitud no son válidos",
      cookie: "Las cookies no son válidas",
      form: "Los datos del formulario no son válidos",
      body_required: "Esta solicitud necesita un cuerpo JSON",
      cursor: "El cursor no es uno que haya entregado esta API",
      expires_in_past: "expires_at debe estar en el futuro",
      refund_too_large: "Como máximo se pueden reembolsar {{refundable}}",
      coupon: "El cupón no es válido",
      range_order: "from no debe ser posterior a to",
      range_span_one: "El intervalo puede abarcar como máximo {{count}} día",
      range_span_other: "El intervalo puede abarcar como máximo {{count}} días",
    },
    malformed_json: {
      title: "El cuerpo de la solicitud no es JSON válido",
      unparsable: "No se pudo interpretar el cuerpo como JSON",
    },
    invalid_or_expired_token: { title: "El token no es válido, caducó o ya se usó" },
    coupon_not_applicable: {
      title: "El cupón no se puede aplicar",
      not_found: "No existe el cupón {{code}}",
      inactive: "El cupón {{code}} ya no se ofrece",
      expired: "El cupón {{code}} caducó el {{date}}",
      max_redemptions: "El cupón {{code}} se agotó",
      plan_not_eligible: "El cupón {{code}} no se aplica a {{plan}}",
      currency_mismatch:
        "El cupón {{code}} está en {{coupon_currency}}; {{plan}} se factura en {{plan_currency}}",
      already_redeemed: "Usted ya usó el cupón {{code}}",
      no_duration: "Este cupón no tiene una duración válida en meses",
    },
    invalid_signature: { title: "La firma del webhook no es válida" },
    unauthorized: {
      title: "Se requiere autenticación",
      send_credential:
        "Envíe un token de acceso o una clave de API como 'Authorization: Bearer <token>'",
    },
    invalid_token: {
      title: "El token de acceso no es válido o caducó",
      access_token: "El token de acceso no es válido o caducó",
      api_key: "La clave de API no es válida o fue revocada",
      session_ended: "La sesión terminó",
      account_gone: "La cuenta ya no existe",
    },
    invalid_credentials: { title: "El correo electrónico o la contraseña son incorrectos" },
    upstream_failed: { title: "El servicio de origen de la acción falló" },
    provider_outcome_unknown: { title: "Se desconoce la respuesta del proveedor de pagos" },
    upstream_timeout: { title: "El servicio de origen de la acción no respondió a tiempo" },
    insufficient_funds: {
      title: "El saldo disponible del monedero es inferior al precio",
      short:
        "Esta llamada cuesta {{price}} {{currency}} (unidades menores); hay {{available}} {{currency}} disponibles",
    },
    invalid_refresh_token: {
      title: "El token de actualización no es válido, caducó o fue revocado",
    },
    payment_required: {
      title: "Se requiere un pago",
      suspended:
        "Su cuenta está suspendida por falta de pago: salde el saldo pendiente para continuar",
    },
    forbidden: {
      title: "No tiene permiso para hacer esto",
      admins_only: "Solo administradores",
      api_key_cap_one: "Su plan permite {{count}} clave de API; elimínela o mejore su plan",
      api_key_cap_other: "Su plan permite {{count}} claves de API; elimine una o mejore su plan",
      own_role: "Los administradores no pueden cambiar su propio rol ni su estado",
      deleted_account: "Las cuentas eliminadas no se pueden modificar",
    },
    account_disabled: { title: "Esta cuenta está desactivada" },
    feature_not_in_plan: { title: "Su plan no incluye esta función" },
    incorrect_password: { title: "La contraseña es incorrecta" },
    not_found: {
      title: "No encontrado",
      resource: "No se encontró {{what}}",
      no_route: "No hay ninguna ruta para {{method}} {{path}}",
      no_paid_subscription: "No tiene ninguna suscripción de pago",
    },
    method_not_allowed: {
      title: "Método no permitido",
      method: "{{method}} no está permitido aquí",
    },
    email_taken: { title: "Este correo electrónico ya está registrado" },
    device_token_taken: { title: "Este token de dispositivo está registrado en otra cuenta" },
    conflict: {
      title: "La solicitud entra en conflicto con el estado actual",
      has_subscription: "Ya tiene una suscripción: cámbiela o cancélela",
      current_plan: "Ese es su plan actual",
      no_pending_cancellation: "No hay ninguna cancelación pendiente",
      managed_by_admin: "Esta suscripción la gestiona un administrador",
      no_stripe_customer: "Todavía no tiene una cuenta de facturación en Stripe",
      no_stripe_subscription: "Esta suscripción todavía no tiene una suscripción en Stripe",
      no_paypal_subscription: "Esta suscripción todavía no tiene una suscripción en PayPal",
      plan_code_taken: "Ya existe un plan con el código {{code}}",
      coupon_code_taken: "Ya existe un cupón con el código {{code}}",
      free_plan_fixed: "El plan gratuito no se puede eliminar ni archivar",
      free_plan_archive: "El plan gratuito no se puede archivar: es el plan al que todos vuelven",
      provider_id_taken: "Otro plan ya usa un identificador del proveedor",
      coupon_in_use:
        "El cupón ya se canjeó: su descuento ya no puede cambiar (cree un cupón nuevo)",
      coupon_redeemed_one: "El cupón ya se canjeó {{count}} vez",
      coupon_redeemed_other: "El cupón ya se canjeó {{count}} veces",
      coupon_redeemed_meanwhile: "El cupón se canjeó entretanto: su descuento no puede cambiar",
      manual_refund: "Los pagos manuales se reembolsan fuera de tollgate",
      failed_payment_refund: "Un pago fallido no tiene nada que reembolsar",
      fully_refunded: "Este pago ya está reembolsado por completo",
    },
    plan_not_available: {
      title: "No es posible suscribirse a este plan",
      no_longer_offered: "{{plan}} ya no se ofrece",
      archived: "{{plan}} está archivado",
    },
    payload_too_large: {
      title: "El cuerpo de la solicitud es demasiado grande",
      max: "El cuerpo puede tener como máximo {{max}} bytes",
    },
    upgrade_required: { title: "Se requiere un cambio de protocolo" },
    unsupported_media_type: {
      title: "Tipo de contenido no admitido",
      send_json: "Envíe el cuerpo como JSON con 'Content-Type: application/json'",
    },
    rate_limited: {
      title: "Demasiadas solicitudes",
      retry_one: "Se alcanzó el límite de {{windows}}; vuelva a intentarlo en {{count}} segundo",
      retry_other: "Se alcanzó el límite de {{windows}}; vuelva a intentarlo en {{count}} segundos",
    },
    misconfigured: { title: "El servidor está mal configurado" },
    internal_error: { title: "Error interno del servidor" },
    provider_error: { title: "El proveedor de pagos falló" },
    provider_unavailable: {
      title: "Este proveedor de pagos no está configurado",
      not_configured: "Los pagos a través de {{provider}} no están configurados",
    },
  },
  resources: {
    api_key: "la clave de API",
    coupon: "el cupón",
    event: "el evento",
    job: "la tarea",
    notification: "la notificación",
    payment: "el pago",
    plan: "el plan",
    reminder: "el recordatorio",
    user: "el usuario",
    webhook_event: "el evento de webhook",
  },
  validation: {
    required: "es obligatorio",
    invalid_cursor: "cursor no válido",
    in_future: "debe estar en el futuro",
    at_most: "debe ser como máximo {{max}}",
    at_least_one_of: "envíe al menos uno de {{fields}}",
    time_zone: "debe ser una zona horaria IANA como Europe/Madrid",
    at_least: "debe ser como mínimo {{min}}",
    at_least_one_field: "envíe al menos un campo",
    already_taken: "ya está en uso",
    not_after: "no debe ser posterior a {{field}}",
    days_before_one: "como máximo {{count}} día antes de {{field}}",
    days_before_other: "como máximo {{count}} días antes de {{field}}",
    same_id_as: "el mismo identificador que {{field}}",
    used_by_plan: "ya lo usa {{plan}}",
    no_plan: "no existe el plan {{id}}",
    currency_code: "un código ISO 4217",
    coupon_code: "de 3 a 40 caracteres entre A-Z, 0-9, _ y -",
    one_discount: "envíe exactamente uno de percent_off y amount_off",
    percent: "debe estar entre 1 y 100",
    positive_minor_units: "debe ser un importe positivo en unidades menores",
    currency_needed: "un cupón con amount_off necesita una moneda",
    currency_unexpected: "solo un cupón con amount_off tiene moneda",
    repeating_months: "un cupón recurrente necesita de 1 a 36 meses",
    months_only_repeating: "solo un cupón recurrente tiene duration_months (este es {{duration}})",
  },
  email: {
    common: { paid_plan: "de pago" },
    verify_email: {
      subject: "Confirme su dirección de correo electrónico",
      text: "Le damos la bienvenida a tollgate.\n\nConfirme su dirección de correo electrónico abriendo este enlace:\n{{link}}\n\nEl enlace es válido durante 24 horas. Si usted no se registró, ignore este correo.\n",
    },
    password_reset: {
      subject: "Restablezca su contraseña",
      text: "Alguien pidió restablecer la contraseña de su cuenta de tollgate.\n\nAbra este enlace para elegir una contraseña nueva:\n{{link}}\n\nEl enlace es válido durante 1 hora y funciona una sola vez. Si no fue usted, ignore este correo: su contraseña seguirá igual.\n",
    },
    trial_ending: {
      subject: "Su prueba termina en 3 días",
      text: "Su prueba del plan {{plan}} termina el {{date}}. Después, su suscripción continúa y se cobra a su método de pago; cancele antes si no la desea.\n",
      text_undated:
        "Su prueba del plan {{plan}} termina pronto. Después, su suscripción continúa y se cobra a su método de pago; cancele antes si no la desea.\n",
    },
    payment_failed: {
      subject: "Su pago no se pudo procesar",
      text: "No pudimos cobrar {{amount}} por su suscripción {{plan}}. Actualice su método de pago: el acceso se limitará si el saldo sigue pendiente.\n",
    },
    access_restricted: {
      subject: "Su acceso ahora es limitado",
      text: "Su suscripción {{plan}} sigue sin pagarse, así que su cuenta tiene ahora los límites del plan gratuito. Pague el saldo pendiente para recuperarlos.\n",
    },
    access_suspended: {
      subject: "Su acceso está suspendido",
      text: "Su suscripción {{plan}} lleva demasiado tiempo sin pagarse, así que el acceso a la API está suspendido. Aún puede iniciar sesión y pagar el saldo pendiente para recuperarlo.\n",
    },
  },
  notifications: {
    email: {
      footer:
        "Recibe este correo porque las notificaciones por correo están activadas en la configuración de su cuenta, donde puede desactivarlas.",
    },
    problems: {
      stream_needs_access_token: "El flujo requiere un token de acceso, no una clave de API",
      send_upgrade: "Abra el flujo como WebSocket (Upgrade: websocket)",
      no_such_plan: "No existe ese plan",
    },
    validation: {
      always_on:
        "no se puede desactivar: los avisos de la cuenta y de facturación siempre le llegan",
      user_id: "debe ser un id de usuario (usr_…)",
      one_audience: "envíe user_ids o plan, no ambos (ninguno: todos los usuarios activos)",
      unknown_plan: "ningún plan tiene este id o código",
    },
  },
  // SMS, push y las notificaciones del propio sistema (src/notifications/system.ts).
  channels: {
    windows: { day: "diaria", month: "mensual" },
    payment_failed: {
      heading: "Su pago no se pudo procesar",
      body: "No pudimos cobrar {{amount}} por su suscripción {{plan}}. Actualice su método de pago para conservar el acceso.",
    },
    payment_recovered: {
      heading: "Pago recibido",
      body: "Su suscripción {{plan}} vuelve a estar al día. ¡Gracias!",
    },
    renewed: {
      heading: "Suscripción renovada",
      body: "Su suscripción {{plan}} se renovó. La próxima renovación es el {{date}}.",
      body_undated: "Su suscripción {{plan}} se renovó.",
    },
    trial_ending: {
      heading: "Su prueba termina en 3 días",
      body: "Su prueba de {{plan}} termina el {{date}}. Después, la suscripción continúa y se cobra a su método de pago; cancele antes si no la desea.",
    },
    subscription_ending: {
      heading: "Su suscripción termina en 3 días",
      body: "Su suscripción {{plan}} termina el {{date}}, como lo pidió. Reanúdela antes si desea conservarla.",
    },
    canceled: {
      heading: "Suscripción cancelada",
      body: "Su suscripción {{plan}} terminó. Su cuenta pasa al plan gratuito.",
    },
    plan_changed: {
      heading: "Plan cambiado",
      body: "Su plan cambió de {{from}} a {{to}}.",
    },
    access_restricted: {
      heading: "Su acceso ahora está limitado",
      body: "Su suscripción {{plan}} sigue impaga, por lo que su cuenta tiene los límites del plan gratuito. Pague el saldo pendiente para recuperarlos.",
    },
    access_suspended: {
      heading: "Su acceso está suspendido",
      body: "Su suscripción {{plan}} lleva demasiado tiempo impaga, por lo que el acceso a la API está suspendido. Aún puede iniciar sesión y pagar el saldo pendiente para restablecerlo.",
    },
    usage_80: {
      heading: "Usó el 80 % de su cuota {{window}}",
      body: "Lleva {{used}} de {{limit}} solicitudes de su cuota {{window}}. La cuota se restablece el {{date}}.",
    },
    usage_100: {
      heading: "Alcanzó su cuota {{window}}",
      body: "Usó las {{limit}} solicitudes de su cuota {{window}}; las siguientes se rechazan hasta el {{date}}.",
    },
    wallet_low: {
      heading: "El saldo de su monedero es bajo",
      body: "Su monedero tiene {{available}} disponibles, por debajo de los {{threshold}} que eligió. Recárguelo para que las llamadas de pago sigan funcionando.",
    },
  },
  events: {
    problems: {
      reminder_sent: "El recordatorio ya se envió",
      reminder_not_pending: "El recordatorio ya no está pendiente",
    },
    validation: {
      date_time_needed: "una fecha y hora con desfase (una fecha sola es para eventos all_day)",
      after: "debe ser posterior a {{field}}",
      after_all_day:
        "debe ser posterior a {{field}} (en eventos de todo el día, el día siguiente al último)",
      not_before: "no puede ser anterior a {{field}}",
      not_with: "no puede indicarse junto con {{field}}",
      each_once: "cada valor como mucho una vez",
    },
    reminder: {
      subject: "Recordatorio: {{title}}",
      body: "Programado para el {{when}}.",
    },
    upcoming: {
      subject: "Recordatorio: {{title}}",
      body: "{{title}} empieza el {{when}}.",
      body_all_day: "{{title}} es el {{when}}.",
    },
    start: {
      subject: "Ahora: {{title}}",
      body: "{{title}} empieza ahora ({{when}}).",
    },
  },
} satisfies Messages;
