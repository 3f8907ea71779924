import type { Messages } from "../messages";

// Spanish (neutral Latin American "usted"). The same keys as en.ts.
export const es = {
  problems: {
    invalid_request: { title: "La solicitud no es válida" },
    malformed_json: { title: "El cuerpo de la solicitud no es JSON válido" },
    invalid_or_expired_token: { title: "El token no es válido, caducó o ya se usó" },
    coupon_not_applicable: { title: "El cupón no se puede aplicar" },
    invalid_signature: { title: "La firma del webhook no es válida" },
    unauthorized: { title: "Se requiere autenticación" },
    invalid_token: { title: "El token de acceso no es válido o caducó" },
    invalid_credentials: { title: "El correo electrónico o la contraseña son incorrectos" },
    invalid_refresh_token: {
      title: "El token de actualización no es válido, caducó o fue revocado",
    },
    payment_required: { title: "Se requiere un pago" },
    forbidden: { title: "No tiene permiso para hacer esto" },
    account_disabled: { title: "Esta cuenta está desactivada" },
    feature_not_in_plan: { title: "Su plan no incluye esta función" },
    incorrect_password: { title: "La contraseña es incorrecta" },
    not_found: { title: "No encontrado" },
    method_not_allowed: { title: "Método no permitido" },
    email_taken: { title: "Este correo electrónico ya está registrado" },
    conflict: { title: "La solicitud entra en conflicto con el estado actual" },
    plan_not_available: { title: "No es posible suscribirse a este plan" },
    payload_too_large: { title: "El cuerpo de la solicitud es demasiado grande" },
    unsupported_media_type: { title: "Tipo de contenido no admitido" },
    rate_limited: { title: "Demasiadas solicitudes" },
    misconfigured: { title: "El servidor está mal configurado" },
    internal_error: { title: "Error interno del servidor" },
    provider_error: { title: "El proveedor de pagos falló" },
    provider_unavailable: { title: "Este proveedor de pagos no está configurado" },
  },
  // SMS, push y las notificaciones del propio sistema (src/notifications/system.ts).
  channels: {
    windows: { day: "diaria", month: "mensual" },
    payment_failed: {
      title: "Su pago no se pudo procesar",
      body: "No pudimos cobrar {{amount}} por su suscripción {{plan}}. Actualice su método de pago para conservar el acceso.",
    },
    payment_recovered: {
      title: "Pago recibido",
      body: "Su suscripción {{plan}} vuelve a estar al día. ¡Gracias!",
    },
    renewed: {
      title: "Suscripción renovada",
      body: "Su suscripción {{plan}} se renovó. La próxima renovación es el {{date}}.",
      body_undated: "Su suscripción {{plan}} se renovó.",
    },
    trial_ending: {
      title: "Su prueba termina en 3 días",
      body: "Su prueba de {{plan}} termina el {{date}}. Después, la suscripción continúa y se cobra a su método de pago; cancele antes si no la desea.",
    },
    subscription_ending: {
      title: "Su suscripción termina en 3 días",
      body: "Su suscripción {{plan}} termina el {{date}}, como lo pidió. Reanúdela antes si desea conservarla.",
    },
    canceled: {
      title: "Suscripción cancelada",
      body: "Su suscripción {{plan}} terminó. Su cuenta pasa al plan gratuito.",
    },
    plan_changed: {
      title: "Plan cambiado",
      body: "Su plan cambió de {{from}} a {{to}}.",
    },
    access_restricted: {
      title: "Su acceso ahora está limitado",
      body: "Su suscripción {{plan}} sigue impaga, por lo que su cuenta tiene los límites del plan gratuito. Pague el saldo pendiente para recuperarlos.",
    },
    access_suspended: {
      title: "Su acceso está suspendido",
      body: "Su suscripción {{plan}} lleva demasiado tiempo impaga, por lo que el acceso a la API está suspendido. Aún puede iniciar sesión y pagar el saldo pendiente para restablecerlo.",
    },
    usage_80: {
      title: "Usó el 80 % de su cuota {{window}}",
      body: "Lleva {{used}} de {{limit}} solicitudes de su cuota {{window}}. La cuota se restablece el {{date}}.",
    },
    usage_100: {
      title: "Alcanzó su cuota {{window}}",
      body: "Usó las {{limit}} solicitudes de su cuota {{window}}; las siguientes se rechazan hasta el {{date}}.",
    },
  },
} satisfies Messages;
