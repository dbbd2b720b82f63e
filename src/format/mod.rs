//! The text format networks are saved in: [`Network::save`](crate::Network::save)
//! documents it.

mod network;
mod scaling;
mod text;
