// The sign-in page: focus the token field, or the error when there is one.
const error = document.getElementById("sign-in-error");
const token = document.getElementById("token");
if (error) {
  token.setAttribute("aria-invalid", "true");
  token.setAttribute("aria-describedby", "sign-in-error token-hint");
}
token.focus();
