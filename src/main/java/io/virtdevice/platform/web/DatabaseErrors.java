package io.virtdevice.platform.web;

import java.util.Optional;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.springframework.dao.DataAccessException;

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

    public static boolean violates(Throwable e, String constraint) {
        return of(e).map(d -> constraint.equals(d.constraint())).orElse(false);
    }
}
