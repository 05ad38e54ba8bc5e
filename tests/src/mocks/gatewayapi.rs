//! gatewayapi mock: not written yet.
