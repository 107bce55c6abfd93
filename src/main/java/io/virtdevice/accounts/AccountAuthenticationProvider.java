package io.virtdevice.accounts;

import io.virtdevice.platform.security.Authorities;
import io.virtdevice.platform.security.CurrentUser;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Component;

/**
 * Lets Spring Security's form login at {@code /login} sign in through {@link PasswordLogin}, so the
 * browser form and the JSON login share throttling, decoy hashing and the activity entry.
 */
@Component
class AccountAuthenticationProvider implements AuthenticationProvider {

    private final PasswordLogin login;

    AccountAuthenticationProvider(PasswordLogin login) {
        this.login = login;
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String email = authentication.getName();
        if (email == null || email.isBlank() || email.length() > 254
                || !(authentication.getCredentials() instanceof String password) || password.length() > 128) {
            throw new BadCredentialsException("Invalid email or password.");
        }
        try {
            CurrentUser user = login.login(email, password).principal();
            return UsernamePasswordAuthenticationToken.authenticated(user, null, Authorities.of(user));
        } catch (InvalidCredentials e) {
            throw new BadCredentialsException("Invalid email or password.");
        } catch (LoginThrottled e) {
            throw new LockedException("Too many failed sign-ins. Try again later.");
        } catch (PasswordHashingBusy e) {
            throw new AuthenticationServiceException("The server is busy. Try again in a few seconds.");
        }
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
