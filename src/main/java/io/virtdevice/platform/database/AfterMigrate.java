package io.virtdevice.platform.database;

import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;

/**
 * A Flyway callback that writes configuration into the database right after the migrations, in their
 * transaction, on the migration connection (the owner role): settings the app role may read through a
 * definer function but never write. Spring Boot hands every such bean to Flyway.
 */
public interface AfterMigrate extends Callback {

    @Override
    default boolean supports(Event event, Context context) {
        return event == Event.AFTER_MIGRATE;
    }

    @Override
    default boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }
}
