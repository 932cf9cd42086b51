"""Register all depthseg modules and set the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every depthseg sub-package so its modules are registered.

    Args:
        init_default_scope: also make ``depthseg`` the current default scope
            (needed by APIs and tests that build modules outside a Runner).
    """
    import depthseg.datasets  # noqa: F401
    import depthseg.engine  # noqa: F401
    import depthseg.evaluation  # noqa: F401
    import depthseg.models  # noqa: F401
    import depthseg.visualization  # noqa: F401
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('depthseg'):
        DefaultScope.get_instance('depthseg', scope_name='depthseg')
    elif current.scope_name != 'depthseg':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "depthseg"; a new "depthseg" scope is created.')
        name = f'depthseg-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='depthseg')
