"""The governance gate the Studio tests rely on does catch a domain that breaks SM-01/SM-04."""

from __future__ import annotations

from constructs_ml.studio import StudioDomain
from tests.studio.conftest import foundation
from tests.support import governed_synth, new_app


def test_the_sagemaker_pack_flags_an_overridden_domain() -> None:
    app = new_app(validate_cfn=False)
    f = foundation(app)
    domain = StudioDomain(f.stack, "Domain", key=f.keys.data, network=f.network, personas=f.studio_personas)
    domain.resource.add_property_override("AppNetworkAccessType", "PublicInternetOnly")
    domain.resource.add_property_override("DomainSettings.DockerSettings.EnableDockerAccess", "ENABLED")
    findings = {(rule, path) for _, rule, path in governed_synth(app).findings()}
    assert findings == {
        ("SageMaker-DomainVpcOnly", "Studio/Domain/Resource"),
        ("SageMaker-DomainDockerAccessDisabled", "Studio/Domain/Resource"),
    }
