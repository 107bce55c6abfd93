package io.virtdevice.webhooks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.stereotype.Component;

/**
 * Where webhooks may go (security review §4, SSRF). Addresses in the special-purpose ranges below are
 * refused, whatever notation names them (decimal {@code 2130706433}, short {@code 127.1}, octal, hex,
 * trailing dot, IPv4-mapped or -compatible IPv6, 6to4), unless they are inside
 * {@code virtdevice.webhooks.allowed-cidrs}. URLs are checked when saved (IP literals, {@code localhost});
 * every resolved address is checked again at connect time by {@link WebhookSender}'s resolver, which is
 * what defeats DNS names that point inside and DNS rebinding.
 */
@Component
class EgressPolicy {

    private static final Pattern HOST_NAME =
            Pattern.compile("^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$");
    private static final Pattern NUMERIC_PART = Pattern.compile("^(0[xX][0-9a-fA-F]*|[0-9]+)$");
    static final int MAX_URL_LENGTH = 2048;

    static final List<Cidr> BLOCKED = Cidr.all(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
            "::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "64:ff9b::/96");

    private static final List<InetAddress> LOOPBACK = List.of(v4(127, 0, 0, 1));

    private final List<Cidr> allowed;

    @Autowired
    EgressPolicy(WebhookSettings settings, Environment environment) {
        this(Cidr.all(settings.allowedCidrs().toArray(String[]::new)));
        if (environment.acceptsProfiles(Profiles.of("prod"))) {
            List<Cidr> internal = allowed.stream().filter(c -> BLOCKED.stream().anyMatch(c::overlaps)).toList();
            if (!internal.isEmpty()) {
                throw new IllegalStateException("Refusing to start: virtdevice.webhooks.allowed-cidrs opens "
                        + internal + " to webhooks, which are loopback, private or otherwise internal ranges. "
                        + "The allow-list is for development and tests only.");
            }
        }
    }

    EgressPolicy(List<Cidr> allowed) {
        this.allowed = List.copyOf(allowed);
    }

    /** Whether a connection to this address is allowed. */
    boolean permits(InetAddress address) {
        InetAddress a = normalize(address);
        return allowListed(a) || BLOCKED.stream().noneMatch(c -> c.contains(a));
    }

    /** Whether the address is inside the explicit allow-list (required for plain http). */
    boolean allowListed(InetAddress address) {
        InetAddress a = normalize(address);
        return allowed.stream().anyMatch(c -> c.contains(a));
    }

    /**
     * Checks a URL a user wants to store and returns it normalised.
     *
     * @throws RejectedUrl naming the reason
     */
    URI validate(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new RejectedUrl("is required.");
        }
        if (raw.length() > MAX_URL_LENGTH) {
            throw new RejectedUrl("must be at most " + MAX_URL_LENGTH + " characters.");
        }
        if (raw.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new RejectedUrl("must not contain spaces, control or non-ASCII characters (use percent-encoding "
                    + "and the punycode form of international domain names).");
        }
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw new RejectedUrl("is not a valid URL.");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || uri.isOpaque() || !(scheme.equals("https") || scheme.equals("http"))) {
            throw new RejectedUrl("must be an absolute https URL.");
        }
        if (uri.getRawUserInfo() != null) {
            throw new RejectedUrl("must not contain a user name or password.");
        }
        if (uri.getRawFragment() != null) {
            throw new RejectedUrl("must not contain a fragment (#...).");
        }
        String host = uri.getHost();
        if (host == null) {
            throw new RejectedUrl("must name a valid host.");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new RejectedUrl("has an invalid port.");
        }
        Optional<InetAddress> literal;
        try {
            literal = literal(host);
        } catch (UnknownHostException e) {
            throw new RejectedUrl("must name a valid host.");
        }
        String name = stripTrailingDot(host.toLowerCase(Locale.ROOT));
        if (literal.isEmpty() && !HOST_NAME.matcher(name).matches()) {
            throw new RejectedUrl("must name a valid host.");
        }
        List<InetAddress> known = literal.map(List::of).orElseGet(() -> isLocalhost(name) ? LOOPBACK : List.of());
        if (known.stream().anyMatch(a -> !permits(a))) {
            throw new RejectedUrl("points to a private, loopback or otherwise internal address.");
        }
        if (scheme.equals("http") && (known.isEmpty() || !known.stream().allMatch(this::allowListed))) {
            throw new RejectedUrl("must use https (plain http is only allowed to allow-listed addresses).");
        }
        String canonicalHost = literal.map(a -> a instanceof Inet6Address ? "[" + a.getHostAddress() + "]"
                : a.getHostAddress()).orElse(name);
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return URI.create(scheme + "://" + canonicalHost + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + path
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }

    /**
     * The address a URL host denotes without any DNS lookup, in every notation a resolver would accept
     * ({@code [v6]}, dotted quad, and the inet_aton forms: {@code 2130706433}, {@code 127.1},
     * {@code 0177.0.0.1}, {@code 0x7f.1}, a trailing dot); empty for a host name.
     *
     * @throws UnknownHostException for numeric-looking hosts no resolver would read the same way
     */
    static Optional<InetAddress> literal(String host) throws UnknownHostException {
        if (host.startsWith("[") || host.indexOf(':') >= 0) {
            String inner = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            if (inner.indexOf('%') >= 0 || inner.indexOf('[') >= 0 || inner.isEmpty()) {
                throw new UnknownHostException("scoped or malformed IPv6 literal");
            }
            // With brackets the JDK parses the literal and never asks DNS.
            return Optional.of(InetAddress.getByName("[" + inner + "]"));
        }
        String h = stripTrailingDot(host);
        String[] parts = h.split("\\.", -1);
        if (parts.length == 0 || parts.length > 4 || !Arrays.stream(parts).allMatch(p -> NUMERIC_PART.matcher(p).matches())) {
            if (Arrays.stream(parts).allMatch(p -> NUMERIC_PART.matcher(p).matches()) || h.matches("^[0-9.]+$")) {
                throw new UnknownHostException("not an address: " + host);
            }
            return Optional.empty();
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = number(parts[i], host);
        }
        long address = 0;
        for (int i = 0; i < parts.length - 1; i++) {
            if (values[i] > 0xff) {
                throw new UnknownHostException("not an address: " + host);
            }
            address = (address << 8) | values[i];
        }
        int restBits = 8 * (4 - (parts.length - 1));
        long last = values[parts.length - 1];
        if (last >= (1L << restBits)) {
            throw new UnknownHostException("not an address: " + host);
        }
        address = (address << restBits) | last;
        return Optional.of(InetAddress.getByAddress(new byte[] {
            (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
        }));
    }

    /** IPv4-mapped, IPv4-compatible and 6to4 IPv6 addresses become the IPv4 address they carry. */
    static InetAddress normalize(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] b = address.getAddress();
        boolean firstTenZero = true;
        for (int i = 0; i < 10; i++) {
            firstTenZero &= b[i] == 0;
        }
        try {
            if (firstTenZero && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff)
                    || (b[10] == 0 && b[11] == 0 && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1))))) {
                return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
            }
            if (b[0] == 0x20 && b[1] == 0x02) {
                return InetAddress.getByAddress(Arrays.copyOfRange(b, 2, 6));
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return address;
    }

    static boolean isLocalhost(String name) {
        return name.equals("localhost") || name.endsWith(".localhost");
    }

    private static InetAddress v4(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String stripTrailingDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }

    private static long number(String part, String host) throws UnknownHostException {
        try {
            if (part.startsWith("0x") || part.startsWith("0X")) {
                return part.length() == 2 ? 0 : Long.parseLong(part.substring(2), 16);
            }
            if (part.length() > 1 && part.startsWith("0")) {
                return Long.parseLong(part.substring(1), 8);
            }
            return Long.parseLong(part);
        } catch (NumberFormatException e) {
            throw new UnknownHostException("not an address: " + host);
        }
    }

    /** A URL a webhook may not use. */
    static final class RejectedUrl extends RuntimeException {
        RejectedUrl(String reason) {
            super(reason);
        }
    }

    /** An address range. */
    record Cidr(byte[] network, int prefix) {

        static List<Cidr> all(String... cidrs) {
            return Arrays.stream(cidrs).map(Cidr::parse).toList();
        }

        static Cidr parse(String cidr) {
            String text = cidr.strip();
            int slash = text.indexOf('/');
            try {
                InetAddress address = normalize(literal(slash < 0 ? text : text.substring(0, slash))
                        .orElseThrow(() -> new IllegalArgumentException("not an address range: " + cidr)));
                int max = address.getAddress().length * 8;
                int prefix = slash < 0 ? max : Integer.parseInt(text.substring(slash + 1));
                if (address instanceof Inet4Address && text.indexOf(':') >= 0 && slash >= 0) {
                    prefix -= 96; // ::ffff:a.b.c.d/120 means a.b.c.d/24
                }
                if (prefix < 0 || prefix > max) {
                    throw new IllegalArgumentException("bad prefix length in " + cidr);
                }
                return new Cidr(mask(address.getAddress(), prefix), prefix);
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalArgumentException("not an address range: " + cidr);
            }
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            return a.length == network.length && Arrays.equals(mask(a, prefix), network);
        }

        boolean overlaps(Cidr other) {
            if (other.network.length != network.length) {
                return false;
            }
            int shorter = Math.min(prefix, other.prefix);
            return Arrays.equals(mask(network, shorter), mask(other.network, shorter));
        }

        private static byte[] mask(byte[] address, int prefix) {
            byte[] masked = address.clone();
            for (int i = 0; i < masked.length; i++) {
                int bits = Math.max(0, Math.min(8, prefix - 8 * i));
                masked[i] = (byte) (masked[i] & (0xff << (8 - bits)));
            }
            return masked;
        }

        @Override
        public String toString() {
            try {
                return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
            } catch (UnknownHostException e) {
                return "?/" + prefix;
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(network) * 31 + prefix;
        }
    }
}
