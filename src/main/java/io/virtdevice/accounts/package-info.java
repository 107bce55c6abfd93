/**
 * Accounts: sign-up, sign-in (JSON and the browser form, one implementation), sessions, email
 * verification, password reset and change, account deletion, and teams (members, roles, invitations).
 * {@link io.virtdevice.accounts.AccountManagement} and {@link io.virtdevice.accounts.TeamManagement} are the
 * module's API; secrets and role rules stay in the database's definer functions (schema {@code app}).
 */
@ApplicationModule(allowedDependencies = {"activity", "devices", "limits", "platform"})
package io.virtdevice.accounts;

import org.springframework.modulith.ApplicationModule;
