package io.virtdevice.accounts;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.DatabaseErrors;
import java.util.function.Supplier;
import org.springframework.dao.DataAccessException;

/**
 * The account functions refuse with custom SQLSTATEs (VD001-VD409); this turns them into problems. The database
 * is the authority on who may do what: these are not re-checked in Java.
 */
final class Refusals {

    private Refusals() {}

    /** Runs a call to an account function, translating its refusals. */
    static <T> T translated(Supplier<T> call) {
        try {
            return call.get();
        } catch (DataAccessException e) {
            throw translate(e);
        }
    }

    static RuntimeException translate(DataAccessException e) {
        String state = DatabaseErrors.of(e).map(DatabaseErrors::sqlState).orElse("");
        return switch (state) {
            case "VD403" -> ApiProblem.forbidden("Your role in this team does not allow this.");
            case "VD404" -> ApiProblem.notFound("The member");
            case "VD409" -> ApiProblem.conflict("The last owner must make another member owner first.");
            case "VD412" -> ApiProblem.conflict("A device was added meanwhile. Try again.");
            case "VD002" -> ApiProblem.conflict("This email address already has an account.");
            case "VD003" -> new SlugTaken();
            default -> e;
        };
    }
}
