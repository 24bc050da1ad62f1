using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Loyalty.Adapters.Json;
using Loyalty.Domain.Events;
using Loyalty.Functions.Http;

namespace Loyalty.Tests.Api;

/// <summary>The handler serializes JSON with generated code only (<see cref="ApiJson"/>, <see cref="StorageJson"/>), so
/// that it runs under Native AOT. These tests hold the types to what that code gets right.</summary>
public sealed class JsonContractTests
{
    private static readonly JsonSerializerOptions[] Contexts = [ApiJson.Default.Options, StorageJson.Web];

    /// <summary>The generated serializer sets every <c>init</c> property in one object initializer, and gives those the
    /// JSON leaves out <c>default</c>, not the value the type starts them with (dotnet/runtime#84484; reflection
    /// keeps it). So no type the handler reads may start an <c>init</c> property at anything but <c>default</c>.</summary>
    [Fact]
    public void NoTypeTheHandlerReads_StartsAnInitProperty_AtAnythingButDefault()
    {
        var types = Contexts.SelectMany(Reachable).Distinct().ToList();
        Assert.Contains(typeof(Loyalty.Domain.Program.ProgramDefinition), types);
        Assert.Contains(typeof(Loyalty.Domain.Program.EarningRules), types);

        var lost = new List<string>();
        foreach (var type in types.Where(t => t.Namespace?.StartsWith("Loyalty.", StringComparison.Ordinal) == true && !t.IsEnum))
        {
            // A constructor's parameter is given its default value by the generated code too: only other init properties count.
            var parameters = Widest(type)?.GetParameters().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
            var initOnly = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => IsInitOnly(p) && !parameters.Contains(p.Name)).ToList();
            if (initOnly.Count == 0 || New(type) is not { } fresh)
            {
                continue;
            }

            lost.AddRange(initOnly
                .Where(p => !Equals(p.GetValue(fresh), p.PropertyType.IsValueType ? Activator.CreateInstance(p.PropertyType) : null))
                .Select(p => $"{type.Name}.{p.Name}"));
        }

        Assert.Empty(lost);
    }

    [Fact]
    public void EveryEventsData_HasGeneratedCode()
    {
        foreach (var kind in EventCatalog.All)
        {
            Assert.NotNull(StorageJson.Web.GetTypeInfo(kind.Data));
        }
    }

    // Every type the serializer meets from the context's roots: properties, elements, keys and derived types.
    private static IEnumerable<Type> Reachable(JsonSerializerOptions options)
    {
        var context = (JsonSerializerContext)options.TypeInfoResolver!;
        var roots = context.GetType().GetCustomAttributesData()
            .Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
            .Select(a => (Type)a.ConstructorArguments[0].Value!);
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>(roots);
        while (queue.TryDequeue(out var type))
        {
            if (!seen.Add(type))
            {
                continue;
            }

            var info = options.GetTypeInfo(type);
            var next = info.Properties.Select(p => p.PropertyType)
                .Concat(info.ElementType is { } element ? [element] : [])
                .Concat(info.KeyType is { } key ? [key] : [])
                .Concat(info.PolymorphismOptions?.DerivedTypes.Select(d => d.DerivedType) ?? []);
            foreach (var t in next)
            {
                queue.Enqueue(Nullable.GetUnderlyingType(t) ?? t);
            }
        }

        return seen;
    }

    private static ConstructorInfo? Widest(Type type) => type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();

    private static bool IsInitOnly(PropertyInfo property) =>
        property.SetMethod?.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit)) == true;

    // An instance as the type starts it: its parameterless constructor, or its widest constructor with each parameter's
    // default (the generated code passes the same for a parameter the JSON leaves out).
    private static object? New(Type type)
    {
        if (type.IsAbstract || type.IsInterface)
        {
            return null;
        }

        var constructor = Widest(type);
        if (constructor is null)
        {
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }

        var arguments = constructor.GetParameters()
            .Select(p => p.HasDefaultValue ? p.DefaultValue : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null)
            .ToArray();
        try
        {
            return constructor.Invoke(arguments);
        }
        catch (TargetInvocationException)
        {
            // A constructor that checks its arguments: such a type is built from its parameters, not its init properties.
            return null;
        }
    }
}
