package io.virtdevice.platform.security;

import java.util.ArrayList;
import java.util.List;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * The authorities a principal carries: {@code SCOPE_read}, {@code SCOPE_write}, {@code AUTH_SESSION}, and the
 * surface its credential is bound to ({@code SURFACE_API}, {@code SURFACE_ALEXA}, {@code SURFACE_IFTTT}).
 */
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
        authorities.add(new SimpleGrantedAuthority(surface(user.surface())));
        return authorities;
    }

    public static String surface(CurrentUser.Surface surface) {
        return "SURFACE_" + surface.name();
    }
}
