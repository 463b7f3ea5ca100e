//! SASL mechanisms for OAuth2 access tokens: XOAUTH2 (Google's, also Microsoft's) and
//! OAUTHBEARER (RFC 7628), their initial responses, and the JSON a server sends as a
//! challenge when it refuses a token.
