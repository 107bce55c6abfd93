package io.virtdevice.platform.web;

import java.util.Optional;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;

/** Reads PostgreSQL's SQLSTATE, constraint and detail out of a Spring data-access exception. */
public record DatabaseErrors(String sqlState, String constraint, String detail, String message) {

    public static Optional<DatabaseErrors> of(Throwable e) {
        Throwable cause = e instanceof DataAccessException dae ? dae.getMostSpecificCause() : e;
        while (cause != null && !(cause instanceof PSQLException)) {
            cause = cause.getCause();
        }
        if (!(cause instanceof PSQLException psql)) {
            return Optional.empty();
        }
        ServerErrorMessage server = psql.getServerErrorMessage();
        return Optional.of(new DatabaseErrors(
                psql.getSQLState(),
                server == null ? null : server.getConstraint(),
                server == null ? null : server.getDetail(),
                server == null ? psql.getMessage() : server.getMessage()));
    }

    public static boolean is(Throwable e, String sqlState) {
        return of(e).map(d -> sqlState.equals(d.sqlState())).orElse(false);
    }

    /**
     * The database could not take the work now, and nothing was written: no pooled connection within the
     * pool's timeout (an overload), a connection failure, a lock or statement timeout, a deadlock or a
     * serialization failure. Worth a retry, so a 503 for the client, not a 500.
     */
    public static boolean unavailable(Throwable e) {
        return e instanceof CannotCreateTransactionException || e instanceof DataAccessResourceFailureException
                || e instanceof TransientDataAccessException;
    }

    /** The detail of the 503 problem for {@link #unavailable} failures. */
    public static final String BUSY_DETAIL = "The server is busy. Try again in a moment.";

    public static boolean violates(Throwable e, String constraint) {
        return of(e).map(d -> constraint.equals(d.constraint())).orElse(false);
    }
}
