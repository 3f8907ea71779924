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
  notifications: {
    email: {
      footer:
        "Recibe este correo porque las notificaciones por correo están activadas en la configuración de su cuenta, donde puede desactivarlas.",
    },
  },
  events: {
    reminder: {
      title: "Recordatorio: {{title}}",
      body: "Programado para el {{when}}.",
    },
    upcoming: {
      title: "Recordatorio: {{title}}",
      body: "{{title}} empieza el {{when}}.",
      body_all_day: "{{title}} es el {{when}}.",
    },
    start: {
      title: "Ahora: {{title}}",
      body: "{{title}} empieza ahora ({{when}}).",
    },
  },
} satisfies Messages;
