//! SVG and PNG: the DOT diagram laid out and drawn by Graphviz's `dot` program, run through
//! graphviz-rust's `exec`. Graphviz is the one thing lintage needs installed for pictures;
//! when it is missing the error says how to install it, and that the text formats need
//! nothing.

use std::path::Path;

use graphviz_rust::cmd::{CommandArg, Format};

use super::Diagram;
use super::dot::{self, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    Svg,
    Png,
}

impl Image {
    pub fn as_str(self) -> &'static str {
        match self {
            Image::Svg => "SVG",
            Image::Png => "PNG",
        }
    }
}

/// What `--format svg|png` says when `dot` cannot be found.
pub const INSTALL_HINT: &str = "install Graphviz (Debian/Ubuntu: `apt-get install graphviz`; \
     Fedora: `dnf install graphviz`; macOS: `brew install graphviz`; Windows: `winget install graphviz`), \
     or use --format dot, mermaid or json, which need nothing installed";

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "cannot draw {}: Graphviz's `dot` program is not on PATH; {INSTALL_HINT}",
        format.as_str()
    )]
    DotMissing { format: Image },
    #[error("Graphviz's `dot` could not draw {}: {}", format.as_str(), message.trim())]
    Failed { format: Image, message: String },
    #[error("cannot run Graphviz's `dot` to draw {}: {source}", format.as_str())]
    Io {
        format: Image,
        #[source]
        source: std::io::Error,
    },
}

/// PNG resolution: Graphviz's default of 96 dpi blurs 11-point text on high-density
/// screens; 144 keeps it sharp at a file size that still suits a README.
const PNG_DPI: &str = "-Gdpi=144";

/// The diagram drawn as SVG or PNG bytes.
pub fn render(diagram: &Diagram, style: Style, format: Image) -> Result<Vec<u8>, RenderError> {
    let graph = dot::build(diagram, style);
    let args = match format {
        Image::Svg => vec![Format::Svg.into()],
        Image::Png => vec![Format::Png.into(), CommandArg::Custom(PNG_DPI.to_string())],
    };
    graphviz_rust::exec(graph, &mut dot::printer(), args).map_err(|error| {
        match error.kind() {
            // Spawning `dot` fails with NotFound when it is not installed; a missing temporary
            // folder would too, so look at PATH before blaming Graphviz.
            std::io::ErrorKind::NotFound if !on_path("dot") => RenderError::DotMissing { format },
            // graphviz-rust reports a non-zero exit of `dot` as `Other`, with its stderr.
            std::io::ErrorKind::Other => RenderError::Failed {
                format,
                message: error.to_string(),
            },
            _ => RenderError::Io {
                format,
                source: error,
            },
        }
    })
}

/// Whether an executable named `program` is in one of PATH's folders.
fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join(program);
        is_executable(&candidate) || is_executable(&candidate.with_extension("exe"))
    })
}

fn is_executable(path: &Path) -> bool {
    path.is_file()
}
