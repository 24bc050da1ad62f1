using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Domain.Events;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Events;
using Loyalty.Functions.Members;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Loyalty.Functions.Http;

/// <summary>The OpenAPI document (<c>GET /api/openapi.json</c>) as client generators read it, written once here for every
/// endpoint: the API key as a security scheme (health and the document itself need none), money as <c>decimal</c>,
/// whole numbers as <c>integer</c>, request fields required or nullable but not both, value lists as enums, one
/// <c>Problem</c> schema for every error with the statuses and headers the server answers, relative servers.</summary>
public static class ApiContract
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/api/openapi.json";
    public const string ReferencePath = "/api/docs";
    private const string SchemeName = "apiKey";
    private const string ProblemSchema = "Problem";
    private const string ProblemJson = "application/problem+json";

    private static readonly Dictionary<string, string> Tags = new(StringComparer.Ordinal)
    {
        ["Members"] = "Enrol members, read their points, tier and ledger, find them at the till.",
        ["Purchases"] = "Record purchases (idempotent by purchaseId) and quote a basket.",
        ["Returns"] = "Take back what a purchase gave for the returned part.",
        ["Rewards"] = "The program's rewards, redemptions and their cancellation; customer-service adjustments.",
        ["Vouchers"] = "Look up and use vouchers.",
        ["Pay with points"] = "Hold points for a basket, then capture or release them.",
        ["Privacy"] = "Export everything stored about a member, or erase their personal data (audited with x-actor).",
        ["Health"] = "Whether storage answers; needs no key.",
    };

    public static IServiceCollection AddApiContract(this IServiceCollection services) =>
        services.AddSingleton<RequestSchemas>().AddOpenApi(DocumentName, o =>
        {
            o.AddSchemaTransformer(DescribeSchema);
            o.AddDocumentTransformer(DescribeDocument);
        });

    /// <summary>Declares a query parameter the endpoint reads as text (so that a bad value is a field error) as what it
    /// means: an integer with bounds and a default, or one of a list of values.</summary>
    public static RouteHandlerBuilder DescribesQuery(this RouteHandlerBuilder endpoint, string name, Func<OpenApiSchema> schema) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Parameters?.FirstOrDefault(p => p.Name == name) is OpenApiParameter parameter)
            {
                parameter.Schema = schema();
            }

            return Task.CompletedTask;
        });

    /// <summary>Declares a request header the endpoint reads.</summary>
    public static RouteHandlerBuilder DescribesHeader(this RouteHandlerBuilder endpoint, string name, string description) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Header,
                Description = description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 100 },
            });
            return Task.CompletedTask;
        });

    public static OpenApiSchema Integer(int minimum, int maximum, int @default) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = "int32",
        Minimum = $"{minimum}",
        Maximum = $"{maximum}",
        Default = @default,
    };

    public static OpenApiSchema OneOf(params string[] values) => new() { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (JsonNode)v)] };

    /// <summary>The names of an enum as the API writes them (<c>ExpiryWarning</c> → <c>expiry-warning</c>).</summary>
    public static string[] NamesOf(Type enumType) => [.. Enum.GetNames(enumType).Select(JsonNamingPolicy.KebabCaseLower.ConvertName)];

    private static Task DescribeSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (type == typeof(decimal))
        {
            // Money and rates are exact: a double turns 0.1 + 0.2 into 0.30000000000000004.
            schema.Format = "decimal";
        }
        else if ((type == typeof(long) || type == typeof(int)) && schema.Type is null)
        {
            // A whole number read by WholeNumberConverter: 10, 10.0 and 1e1 are ten, but it is an integer.
            schema.Type = JsonSchemaType.Integer;
        }

        if (Listed(context) is { } listed)
        {
            schema.Enum = [.. listed.Values.Select(v => (JsonNode)v)];
            if (listed.Note is { } note)
            {
                schema.Description = schema.Description is null ? note : $"{schema.Description} {note}";
            }

            if (schema.Type?.HasFlag(JsonSchemaType.Null) == true)
            {
                schema.Enum.Add(null!);
            }
        }
        else if (context.JsonPropertyInfo?.AttributeProvider is { } attributes)
        {
            if (attributes.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: true).FirstOrDefault() is AllowedValuesAttribute allowed)
            {
                schema.Enum = [.. allowed.Values.Select(v => (JsonNode)$"{v}")];
            }
            else if (attributes.GetCustomAttributes(typeof(ValuesOfAttribute), inherit: true).FirstOrDefault() is ValuesOfAttribute values)
            {
                schema.Enum = [.. values.Values(context.ApplicationServices).Select(v => (JsonNode)v)];
            }
        }

        if (type.Name.EndsWith("Request", StringComparison.Ordinal) && schema.Properties is { } properties)
        {
            // Requests are read leniently (every field nullable) so that the validator can name each one at fault: the
            // fields marked [Required] are required and not null; the others may be left out, or null.
            schema.Required = new HashSet<string>(context.JsonTypeInfo.Properties
                .Where(p => p.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true)
                .Select(p => p.Name));
            foreach (var (name, property) in properties)
            {
                if (property is not OpenApiSchema field)
                {
                    continue;
                }

                if (schema.Required.Contains(name) && field.Type is { } t)
                {
                    field.Type = t & ~JsonSchemaType.Null;
                }

                // Times are read as text so that a bad one is a field error; they are RFC 3339 with an offset.
                if (name.EndsWith("At", StringComparison.Ordinal) && field.Type?.HasFlag(JsonSchemaType.String) == true)
                {
                    field.Format = "date-time";
                }
            }
        }

        return Task.CompletedTask;
    }

    // Value lists of fields the domain's records carry (the domain has no attributes of this layer): a hold's status, and
    // tier ids, which are the loaded program's: the document is built at start-up from the program file.
    private static (IReadOnlyList<string> Values, string? Note)? Listed(OpenApiSchemaTransformerContext context)
    {
        if (context.JsonPropertyInfo is not { } property || property.PropertyType != typeof(string))
        {
            return null;
        }

        return property.Name switch
        {
            "status" when property.DeclaringType == typeof(HoldResult) => ([HoldRecord.Held, HoldRecord.Captured, HoldRecord.Released, HoldRecord.Expired], null),
            "status" when property.DeclaringType == typeof(HoldRecord) => ([HoldRecord.Held, HoldRecord.Captured, HoldRecord.Released], null),
            "tier" or "minTier" or "requiredTier" => TierIds(context.ApplicationServices),
            "next" when property.DeclaringType == typeof(TierProgress) => TierIds(context.ApplicationServices),
            _ => null,
        };
    }

    private static (IReadOnlyList<string>, string?)? TierIds(IServiceProvider services) =>
        services.GetRequiredService<ProgramDefinition>().Tiers.Levels.Select(l => l.Id).ToArray() is { Length: > 0 } ids
            ? (ids, "The values are the tier ids of the program file this app loaded at start-up (the document is built from it).")
            : null;

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info.Title = "Loyalty Functions API";
        document.Info.Description = "Members, purchases and points. Errors are application/problem+json (RFC 9457). "
            + $"Every operation but the health check needs the API key in the {ApiKey.HeaderName} header.";
        document.Info.License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" };

        // Relative: the document is right wherever it is served (locally, behind the Functions host, in Azure).
        document.Servers = [new OpenApiServer { Url = "/", Description = "The app that serves this document" }];
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKey.HeaderName,
            Description = "The function key in Azure; LOYALTY_API_KEY when the app runs standalone.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.Remove("ProblemDetails");
        document.Components.Schemas.Remove("HttpValidationProblemDetails");
        document.Components.Schemas[ProblemSchema] = Problem();
        foreach (var schema in document.Components.Schemas.Values.OfType<OpenApiSchema>().Where(s => s.Discriminator is not null && s.AnyOf is { Count: > 0 }))
        {
            // A type written with a discriminator (an export's operation by its kind) is exactly one of its variants:
            // oneOf, so that generated clients pick the variant by the discriminator instead of filling every one.
            var variants = schema.AnyOf!;
            (schema.OneOf, schema.AnyOf) = (variants, null);
            foreach (var variant in variants.OfType<OpenApiSchemaReference>().Select(r => document.Components.Schemas[r.Reference.Id!]).OfType<OpenApiSchema>())
            {
                // Every variant is an object that carries the discriminator (the serializer always writes it), so that
                // no two variants can match the same value.
                variant.Type = JsonSchemaType.Object;
                variant.Required ??= new HashSet<string>();
                variant.Required.Add(schema.Discriminator!.PropertyName!);
            }
        }

        EventsByType(document);

        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            foreach (var (status, response) in operation.Responses ?? new OpenApiResponses())
            {
                if (response is not OpenApiResponse answer)
                {
                    continue;
                }

                if (answer.Content?.ContainsKey(ProblemJson) == true)
                {
                    answer.Content[ProblemJson] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, document) };
                }

                answer.Headers ??= new Dictionary<string, IOpenApiHeader>();
                if (status == "201")
                {
                    answer.Headers["Location"] = Header("Where the created resource (or the member's ledger) is.");
                }
                else if (status == "503")
                {
                    answer.Headers["Retry-After"] = Header("Seconds to wait before sending the same request again.");
                }
            }
        }

        document.Paths["/api/health"] = Health(document);
        return Task.CompletedTask;
    }

    private const string EventExport = "EventExport";

    // The export's events (EventExport) as the variant of their type, whose data is that event's data: the schemas of
    // the data are the AsyncAPI document's (one generation from the event catalogue), so the two documents cannot drift.
    private static void EventsByType(OpenApiDocument document)
    {
        var schemas = document.Components!.Schemas!;
        if (!schemas.TryGetValue(EventExport, out var found) || found is not OpenApiSchema events || events.Properties is not { } fields)
        {
            return;
        }

        const string Discriminator = "type";
        var mapping = new Dictionary<string, OpenApiSchemaReference>(StringComparer.Ordinal);
        foreach (var kind in EventCatalog.All)
        {
            var data = kind.Data.Name;
            if (!schemas.ContainsKey(data))
            {
                var json = AsyncApiDocument.DataSchema(kind.Data).ToJsonString();
                schemas[data] = OpenApiModelFactory.Parse<OpenApiSchema>(json, OpenApiSpecVersion.OpenApi3_1, document, out var diagnostic, "json")
                    is { } parsed && diagnostic?.Errors is not { Count: > 0 }
                    ? parsed
                    : throw new InvalidOperationException($"The schema of {data} does not read as OpenAPI: {string.Join("; ", diagnostic?.Errors ?? [])}");
            }

            var variant = $"{EventExport}{AsyncApiDocument.MessageName(kind.Type)}";
            schemas[variant] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = kind.Summary,
                Required = new HashSet<string>(fields.Keys),
                Properties = new Dictionary<string, IOpenApiSchema>(fields)
                {
                    [Discriminator] = OneOf(kind.Type),
                    ["data"] = new OpenApiSchemaReference(data, document),
                },
            };
            mapping[kind.Type] = new OpenApiSchemaReference(variant, document);
        }

        // The data was a JsonElement: no other schema refers to it.
        schemas.Remove(nameof(JsonElement));
        events.Type = null;
        events.Properties = null;
        events.Required = null;
        events.OneOf = [.. mapping.Values];
        events.Discriminator = new OpenApiDiscriminator { PropertyName = Discriminator, Mapping = mapping };
        events.Description = "An event of the member as the outbox keeps it: the variant of its type, whose data is that event's data as published "
            + "(the same schemas as the AsyncAPI document at /api/asyncapi.json).";
    }

    private static OpenApiHeader Header(string description) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An error (RFC 9457). Refusals carry their figures as further members (balance and required, returnable, state, …).",
        Required = new HashSet<string> { "type", "title", "status", "detail" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. Problems.Types.Select(t => (JsonNode)t)], Description = "What went wrong; the README lists each type." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What to do about it." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's trace, for support." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "The fields at fault (JSON names, e.g. lines[0].amount), each with every rule it breaks.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };

    private static OpenApiPathItem Health(OpenApiDocument document)
    {
        var status = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "status" },
            Properties = new Dictionary<string, IOpenApiSchema> { ["status"] = OneOf("ok", "unavailable") },
        };
        var item = new OpenApiPathItem();
        item.AddOperation(HttpMethod.Get, new OpenApiOperation
        {
            OperationId = "GetHealth",
            Summary = "Whether storage answers and the tables exist",
            Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
            // An empty requirement: no key needed.
            Security = [new OpenApiSecurityRequirement()],
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse { Description = "Storage answers", Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = status } } },
                ["503"] = new OpenApiResponse { Description = "Storage does not answer", Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = status } } },
            },
        });
        return item;
    }
}

/// <summary>The values a text field can take, from an enum's names (kebab-case, as the API writes them) or from the
/// loaded program (tier ids).</summary>
[AttributeUsage(AttributeTargets.Property)]
public class ValuesOfAttribute(Type enumType) : Attribute
{
    public virtual IEnumerable<string> Values(IServiceProvider services) => ApiContract.NamesOf(enumType);
}
