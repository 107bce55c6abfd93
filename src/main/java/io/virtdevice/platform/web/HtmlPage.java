package io.virtdevice.platform.web;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a controller that renders the dashboard's HTML: its failures become an error page (or, for an htmx
 * request, a message in the page's alert region) instead of the API's problem JSON ({@link PageErrors}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface HtmlPage {}
