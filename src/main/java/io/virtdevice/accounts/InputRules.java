package io.virtdevice.accounts;

/** The shapes account input must have, shared by the JSON requests and the pages. */
final class InputRules {

    /** The WHATWG form-validation address syntax, requiring a dot in the domain. */
    static final String EMAIL = "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
            + "(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$";
    static final String SLUG = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";
    /** Names end up in mails and pages: no control characters (no header or line injection). */
    static final String NO_CONTROL_CHARACTERS = "^[^\\p{Cntrl}]*$";
    static final String INVITABLE_ROLE = "^(admin|member)$";
    static final String ROLE = "^(owner|admin|member)$";
    /** Our tokens: a short prefix and 43 URL-safe base64 characters; anything longer is not ours. */
    static final int MAX_TOKEN_LENGTH = 100;

    private InputRules() {}
}
