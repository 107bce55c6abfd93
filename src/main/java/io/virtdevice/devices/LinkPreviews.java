package io.virtdevice.devices;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.Locale;

/**
 * Recognises requests for a URL-trigger link that are not a person or an automation firing it: link
 * previews of chat apps, mail scanners that open every link, browser prefetches. They get a description of
 * the link and change nothing. This is the one list of them (README, "URL-trigger links"); a substring of
 * the lower-cased {@code User-Agent} is enough, as every listed bot names itself.
 *
 * <p>Shortcuts, Tasker, IFTTT, curl and browsers opened by a person are not matched, so GET keeps working
 * for them; a link that must never fire on GET is made POST-only.
 */
final class LinkPreviews {

    /** User-Agent fragments (lower case) of known link-preview bots, crawlers and mail link scanners. */
    static final List<String> BOT_AGENTS = List.of(
            "slackbot", "slack-imgproxy",
            "facebookexternalhit", "facebookcatalog", "meta-externalagent",
            "twitterbot",
            "whatsapp",
            "telegrambot",
            "discordbot",
            "linkedinbot",
            "skypeuripreview",
            "applebot",
            "googlebot", "google-inspectiontool", "googleother", "feedfetcher-google", "apis-google",
            "bingbot", "bingpreview", "adidxbot",
            "microsoft office", "ms office", "microsoft outlook", "outlook-ios", "outlook-android",
            "microsoftpreview", "safelinks", "office365", "microsoft-webdav",
            "mattermost-bot", "rocket.chat", "viber", "snapchat", "pinterestbot", "redditbot", "embedly",
            "iframely", "vkshare", "yandexbot", "duckduckbot", "baiduspider", "mastodon", "kakaotalk-scrap",
            "bitlybot", "petalbot",
            // generic self-descriptions of crawlers and previewers ("Googlebot/2.1", "SomePreview/1.0")
            "preview", "crawler", "spider", "bot/", "bot;", "bot ");

    private LinkPreviews() {}

    /** Whether the request only looks at the link (HEAD, a prefetch, a preview bot) instead of firing it. */
    static boolean isLookOnly(HttpServletRequest request) {
        return "HEAD".equals(request.getMethod()) || isPrefetch(request) || isBot(request.getHeader("User-Agent"));
    }

    /** {@code Purpose}/{@code Sec-Purpose: prefetch} (also "prefetch;prerender"), {@code X-Purpose}, {@code X-Moz}. */
    static boolean isPrefetch(HttpServletRequest request) {
        return mentions(request.getHeader("Purpose"), "prefetch")
                || mentions(request.getHeader("Sec-Purpose"), "prefetch")
                || mentions(request.getHeader("X-Purpose"), "preview")
                || mentions(request.getHeader("X-Purpose"), "prefetch")
                || mentions(request.getHeader("X-Moz"), "prefetch");
    }

    static boolean isBot(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return false;
        }
        String agent = userAgent.toLowerCase(Locale.ROOT) + " ";
        return BOT_AGENTS.stream().anyMatch(agent::contains);
    }

    private static boolean mentions(String header, String word) {
        return header != null && header.toLowerCase(Locale.ROOT).contains(word);
    }
}
