using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Switchboard.Tests.Infrastructure;

/// <summary>Waits for the navigation an action starts, without the race of <c>WaitForURLAsync</c>.</summary>
internal static class Navigation
{
    /// <summary>
    /// Runs <paramref name="action"/>, then polls until the page's address matches and the new document is parsed.
    /// <c>WaitForURLAsync</c> after the action checks the address and then subscribes, and can miss a navigation that
    /// lands in between (playwright-dotnet#3364): it timed journeys out on a loaded machine with the page already there.
    /// </summary>
    public static async Task NavigateByAsync(this IPage page, Func<Task> action, Regex url)
    {
        await action();
        await Assertions.Expect(page).ToHaveURLAsync(url, new PageAssertionsToHaveURLOptions { Timeout = 30_000 });
        // Parsed, asked of the document itself. WaitForLoadStateAsync can miss the new document's DOMContentLoaded when
        // it lands while the address is being checked, and then waits for an event that already happened (CI logs
        // showed "NetworkIdle event fired" before its 30 s timeout, so the page had long finished loading).
        await page.WaitForFunctionAsync("() => document.readyState !== 'loading'", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
    }

    /// <summary>
    /// Runs <paramref name="action"/> and waits for the next document to be parsed, for a form that posts and is
    /// redirected back to the same address (where <see cref="NavigateByAsync"/> would match the old page at once).
    /// The listener is attached before the action, so a fast reload cannot be missed.
    /// </summary>
    public static async Task ReloadByAsync(this IPage page, Func<Task> action)
    {
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLoaded(object? sender, IPage p) => loaded.TrySetResult();
        page.DOMContentLoaded += OnLoaded;
        try
        {
            await action();
            await loaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            page.DOMContentLoaded -= OnLoaded;
        }
    }
}
