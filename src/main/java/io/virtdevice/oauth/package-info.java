/**
 * The OAuth 2.0 authorization server that Alexa account linking, IFTTT, the web front end and the mobile
 * app send users to: Spring Authorization Server for the protocol (authorization code with PKCE, refresh,
 * revocation, RFC 8414 metadata), with our own storage that keeps only SHA-256 hashes of codes and tokens
 * (tables oauth_authorizations, oauth_tokens, oauth_consents), clients from configuration, a consent page with "remember this decision", connected apps, and
 * {@code vda_} access tokens accepted as bearer tokens by the REST API.
 * {@link io.virtdevice.oauth.OAuthManagement} is the module's API.
 */
@ApplicationModule(allowedDependencies = {"accounts", "activity", "limits", "platform"})
package io.virtdevice.oauth;

import org.springframework.modulith.ApplicationModule;
