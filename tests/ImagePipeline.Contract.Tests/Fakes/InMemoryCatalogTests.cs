using ImagePipeline.Contract.Tests.Contracts;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Testing;

namespace ImagePipeline.Contract.Tests.Fakes;

/// <summary>The fake the service tests use must keep the same contract, or those tests prove nothing.</summary>
public sealed class InMemoryCatalogTests : ImageCatalogContract
{
    protected override Task<IImageCatalog> CreateCatalogAsync() => Task.FromResult<IImageCatalog>(new InMemoryCatalog());
}
