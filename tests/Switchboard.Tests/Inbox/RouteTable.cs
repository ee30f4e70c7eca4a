using System.IO.Pipelines;
using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Inbox;

/// <summary>Where a request value comes from, for the id inputs the route table exposes outside the path.</summary>
internal enum InputSource
{
    Query,
    Form,
    Body,
}

/// <summary>An id-like value an endpoint takes from the query string, a form or a JSON body.</summary>
internal sealed record IdInput(string Method, string Route, InputSource Source, string Name)
{
    public override string ToString() => $"{Method} {Route} {Source.ToString().ToLowerInvariant()}:{Name}";
}

/// <summary>
/// The running app's route table, read the way the security tests need it: which endpoints there are, which of them
/// are static assets or signed webhooks, and which values that name another record arrive outside the route path.
/// </summary>
internal static class RouteTable
{
    public static IReadOnlyList<RouteEndpoint> Routes(RunningServer server) =>
        [.. server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    public static string Pattern(RouteEndpoint e) => "/" + (e.RoutePattern.RawText ?? "").TrimStart('/');

    /// <summary>
    /// Inbound webhooks: no user session can call them; each request is authenticated by its account's HMAC signature
    /// (Slack v0, Meta X-Hub-Signature-256, generic), with the negative matrix in Channels/WebhookTests.
    /// </summary>
    public static bool IsSignedWebhook(RouteEndpoint e) => Pattern(e).StartsWith("/hooks/", StringComparison.Ordinal);

    public static bool IsStaticAsset(RouteEndpoint e) =>
        e.Metadata.GetMetadata<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor>() is not null ||
        Path.HasExtension(e.RoutePattern.RawText ?? "") && !(e.RoutePattern.RawText ?? "").EndsWith(".csv", StringComparison.Ordinal) && !(e.RoutePattern.RawText ?? "").Contains("openapi", StringComparison.Ordinal);

    public static bool IsPage(RouteEndpoint e) => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null;

    public static IReadOnlyList<string> Methods(RouteEndpoint e) => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];

    /// <summary>
    /// Names that point at another record: "id", "…Id", "…Ids", "…_id", or a bare entity noun ("conversation",
    /// "expert") the way some forms and fragments name them.
    /// </summary>
    public static bool IsIdLike(string name)
    {
        string[] nouns = ["conversation", "conversations", "message", "reply", "handover", "author", "notification", "expert", "person", "user", "selected", "version", "account"];
        return name.Equals("id", StringComparison.OrdinalIgnoreCase) || name.Equals("ids", StringComparison.OrdinalIgnoreCase) ||
               name.EndsWith("Id", StringComparison.Ordinal) || name.EndsWith("Ids", StringComparison.Ordinal) ||
               name.EndsWith("_id", StringComparison.OrdinalIgnoreCase) || name.EndsWith("_ids", StringComparison.OrdinalIgnoreCase) ||
               nouns.Contains(name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Every id-like value the endpoint binds from the query string, a form or a body: minimal-API handler parameters
    /// (from their binding metadata, walking the properties of body and form types), and the query and form
    /// parameters of Razor pages. Values a handler reads from HttpContext itself are invisible here.
    /// </summary>
    public static IEnumerable<IdInput> IdInputs(RouteEndpoint e, IServiceProvider services)
    {
        var isService = services.GetRequiredService<IServiceProviderIsService>();
        var routeNames = e.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var inputs = new List<(InputSource Source, string Name)>();
        var accepts = e.Metadata.GetMetadata<IAcceptsMetadata>();
        foreach (var p in e.Metadata.OfType<IParameterBindingMetadata>().Select(b => b.ParameterInfo))
        {
            var type = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
            if (p.GetCustomAttribute<FromRouteAttribute>() is not null || p.GetCustomAttribute<FromServicesAttribute>() is not null ||
                p.GetCustomAttribute<FromHeaderAttribute>() is not null || p.GetCustomAttribute<FromKeyedServicesAttribute>() is not null ||
                routeNames.Contains(p.Name ?? "") || IsSpecial(type) || isService.IsService(p.ParameterType))
            {
                continue;
            }

            if (p.GetCustomAttribute<FromQueryAttribute>() is { } q)
            {
                inputs.Add((InputSource.Query, q.Name ?? p.Name!));
            }
            else if (p.GetCustomAttribute<FromFormAttribute>() is { } f)
            {
                if (IsSimple(type))
                    inputs.Add((InputSource.Form, f.Name ?? p.Name!));
                else
                    inputs.AddRange(Members(type).Select(n => (InputSource.Form, n)));
            }
            else if (IsSimple(type))
            {
                inputs.Add((InputSource.Query, p.Name!));
            }
            else
            {
                inputs.AddRange(Members(type).Select(n => (InputSource.Body, n)));
            }
        }

        // A handler that reads its JSON body itself declares the type with Accepts<T>().
        if (accepts?.RequestType is { } requestType && !IsSimple(requestType) && !inputs.Any(i => i.Source == InputSource.Body))
        {
            inputs.AddRange(Members(requestType).Select(n => (InputSource.Body, n)));
        }

        if (e.Metadata.GetMetadata<ComponentTypeMetadata>()?.Type is { } page)
        {
            foreach (var prop in page.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                if (prop.GetCustomAttribute<SupplyParameterFromQueryAttribute>() is { } q)
                {
                    inputs.Add((InputSource.Query, q.Name ?? prop.Name));
                }
                else if (prop.GetCustomAttribute<SupplyParameterFromFormAttribute>() is { } f)
                {
                    var type = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
                    if (IsSimple(type))
                        inputs.Add((InputSource.Form, f.Name ?? prop.Name));
                    else
                        inputs.AddRange(Members(type).Select(n => (InputSource.Form, n)));
                }
            }
        }

        // A page reads its query on GET and its named forms on POST.
        IReadOnlyList<string> MethodsOf(InputSource source) => !IsPage(e) ? Methods(e) : source == InputSource.Query ? ["GET"] : ["POST"];
        return inputs.Where(i => IsIdLike(i.Name.Split('.')[^1])).Distinct()
            .SelectMany(i => MethodsOf(i.Source).Select(m => new IdInput(m, Pattern(e), i.Source, i.Name)));
    }

    private static bool IsSpecial(Type t) =>
        t == typeof(HttpContext) || t == typeof(HttpRequest) || t == typeof(HttpResponse) || t == typeof(ClaimsPrincipal) ||
        t == typeof(CancellationToken) || t == typeof(Stream) || t == typeof(PipeReader) || typeof(IFormFile).IsAssignableFrom(t) ||
        typeof(IFormFileCollection).IsAssignableFrom(t) || t == typeof(IFormCollection);

    private static bool IsSimple(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTime) ||
               t == typeof(DateTimeOffset) || t == typeof(Guid) || t == typeof(TimeSpan) || t == typeof(DateOnly) ||
               t.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), t.MakeByRefType()]) is not null ||
               (t.IsArray && IsSimple(t.GetElementType()!));
    }

    /// <summary>The JSON property names of a body type, nested objects flattened as "outer.inner".</summary>
    private static IEnumerable<string> Members(Type t, string prefix = "", int depth = 0)
    {
        if (depth > 3)
            yield break;
        foreach (var prop in t.GetProperties(BindingFlags.Instance | BindingFlags.Public))
        {
            var name = prop.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name ?? prop.Name;
            var type = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            var element = type.IsArray ? type.GetElementType()! : type.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0] : type;
            if (IsSimple(element))
            {
                // The JSON name as a client writes it (camelCase), so the lists in the tests read like the requests.
                yield return prefix + JsonName(name);
            }
            else
            {
                foreach (var inner in Members(element, prefix + JsonName(name) + ".", depth + 1))
                    yield return inner;
            }
        }
    }

    private static string JsonName(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);
}
