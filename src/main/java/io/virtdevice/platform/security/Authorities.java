package io.virtdevice.platform.security;

import java.util.ArrayList;
import java.util.List;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/** The authorities a principal carries: {@code SCOPE_read}, {@code SCOPE_write}, and {@code AUTH_SESSION}. */
public final class Authorities {

    public static final String SESSION = "AUTH_SESSION";
    public static final String READ = "SCOPE_read";
    public static final String WRITE = "SCOPE_write";

    private Authorities() {}

    public static List<GrantedAuthority> of(CurrentUser user) {
        List<GrantedAuthority> authorities = new ArrayList<>();
        user.scopes().forEach(s -> authorities.add(new SimpleGrantedAuthority("SCOPE_" + s)));
        if (user.method() == CurrentUser.AuthMethod.SESSION) {
            authorities.add(new SimpleGrantedAuthority(SESSION));
        }
        return authorities;
    }
}
